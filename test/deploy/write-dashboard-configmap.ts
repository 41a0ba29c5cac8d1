import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboardConfigMapTemplate } from './helm-render.js';

/** Regenerates the chart's dashboard ConfigMap template from deploy/grafana (the Helm chart test checks they agree). */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dashboard = fs.readFileSync(path.join(root, 'deploy/grafana/openexpert-monitoring.dashboard.json'), 'utf8');
fs.writeFileSync(path.join(root, 'deploy/helm/openexpert/templates/grafana-dashboard.yaml'), dashboardConfigMapTemplate(dashboard));
