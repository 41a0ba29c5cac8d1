import { z } from 'zod';
import { AskSchema, CreateSweepSchema, ExtendSchema, ImportanceQuerySchema, LeaseSchema, ReleaseLeaseSchema, ResumeSchema, FinishTrialSchema, RegisterBestSchema, TrialProcessSchema } from '../../domain/sweeps/schemas.js';
import { parse } from '../parse.js';
import type { Services } from '../services.js';
import type { Route } from '../surface.js';
import { QueryInt } from '../wire-types.js';
import { ModelVersionOut } from './registry.replies.js';
import { Empty, items } from './replies.js';
import { detailToWire, ImportanceOut, LeaseOut, summaryToWire, SweepOut, SweepSummaryOut, TrialOut, trialToWire } from './sweeps.replies.js';

/**
 * Hyperparameter sweeps: the server keeps the state and decides; a controller (`openexpert sweep`, the SDK) asks
 * for trials, runs them as tracked runs, asks whether they should stop and says how they ended.
 */
const tags = ['sweeps'];
const Id = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be a sweep id') });
const TrialParams = Id.extend({ number: QueryInt.pipe(z.number().int().min(0)) });
const List = z.object({ experimentId: z.string().min(1).max(64).optional(), maxResults: QueryInt.pipe(z.number().int().min(1).max(1000)).optional() }).strict();

export function sweepRoutesV1(s: Services): Route[] {
  const w = s.sweeps;
  return [
    {
      method: 'POST', path: '/sweeps',
      schema: { summary: 'Create a sweep: its search space, method, objective and early stopping; its parent run is created with it', tags, body: CreateSweepSchema, response: { 201: SweepOut } },
      handler: async ({ actor, body, reply }) => {
        const sweep = await w.create(actor, parse(CreateSweepSchema, body));
        void reply.status(201);
        return detailToWire(sweep);
      },
    },
    {
      method: 'GET', path: '/sweeps',
      schema: { summary: 'Sweeps, newest first, with their trial counts and best trial', tags, querystring: List, response: { 200: items(SweepSummaryOut) } },
      handler: async ({ actor, query }) => ({ items: (await w.list(actor, parse(List, query))).map(summaryToWire) }),
    },
    {
      method: 'GET', path: '/sweeps/:id',
      schema: { summary: 'A sweep with all its trials', tags, params: Id, response: { 200: SweepOut } },
      handler: async ({ actor, params }) => detailToWire(await w.get(actor, parse(Id, params).id)),
    },
    {
      method: 'POST', path: '/sweeps/:id/trials',
      schema: {
        summary: 'Ask for the next trial: an interrupted one again, else new parameters from the sweep\'s method, with a new child run; null when the sweep has all its trials',
        tags, params: Id, body: AskSchema, response: { 200: z.object({ trial: TrialOut.nullable() }) },
      },
      handler: async ({ actor, params, body }) => {
        const trial = await w.ask(actor, parse(Id, params).id, parse(AskSchema, body ?? {}));
        return { trial: trial ? trialToWire(trial) : null };
      },
    },
    {
      method: 'PUT', path: '/sweeps/:id/trials/:number/process',
      schema: { summary: 'Record the process (group leader) running a trial and its host, so a resumed sweep can stop it', tags, params: TrialParams, body: TrialProcessSchema, response: { 200: TrialOut } },
      handler: async ({ actor, params, body }) => {
        const p = parse(TrialParams, params);
        return trialToWire(await w.recordProcess(actor, p.id, p.number, parse(TrialProcessSchema, body)));
      },
    },
    {
      method: 'POST', path: '/sweeps/:id/trials/:number/prune-check',
      schema: { summary: 'Judge the steps a running trial logged since the last check by the early-stopping rule; stop: true when it is (or was) stopped', tags, params: TrialParams, response: { 200: z.object({ stop: z.boolean(), trial: TrialOut }) } },
      handler: async ({ actor, params }) => {
        const p = parse(TrialParams, params);
        const out = await w.checkPrune(actor, p.id, p.number);
        return { stop: out.stop, trial: trialToWire(out.trial) };
      },
    },
    {
      method: 'POST', path: '/sweeps/:id/trials/:number/finish',
      schema: { summary: 'Say how a trial\'s command ended; the server decides COMPLETE (with the objective\'s last value), PRUNED or FAILED', tags, params: TrialParams, body: FinishTrialSchema, response: { 200: TrialOut } },
      handler: async ({ actor, params, body }) => {
        const p = parse(TrialParams, params);
        return trialToWire(await w.finish(actor, p.id, p.number, parse(FinishTrialSchema, body)));
      },
    },
    {
      method: 'POST', path: '/sweeps/:id/resume',
      schema: {
        summary: 'After a controller died: its running trials become INTERRUPTED, to be handed out again; returns them with their recorded processes. Refused (409) while another controller holds the sweep\'s lease',
        tags, params: Id, body: ResumeSchema, response: { 200: z.object({ interrupted: z.array(TrialOut) }) },
      },
      handler: async ({ actor, params, body }) => ({ interrupted: (await w.resume(actor, parse(Id, params).id, parse(ResumeSchema, body ?? {}))).map(trialToWire) }),
    },
    {
      method: 'POST', path: '/sweeps/:id/lease',
      schema: {
        summary: 'Take or renew the sweep\'s controller lease: granted when nobody holds it, the caller does, it expired, or the caller names the holder it found dead; asking for trials and resuming are refused while another controller holds it',
        tags, params: Id, body: LeaseSchema, response: { 200: z.object({ granted: z.boolean(), lease: LeaseOut }) },
      },
      handler: async ({ actor, params, body }) => w.acquireLease(actor, parse(Id, params).id, parse(LeaseSchema, body)),
    },
    {
      method: 'DELETE', path: '/sweeps/:id/lease',
      schema: { summary: 'Give up the sweep\'s lease (only its holder\'s id does anything)', tags, params: Id, querystring: ReleaseLeaseSchema, response: { 200: Empty } },
      handler: async ({ actor, params, query }) => {
        await w.releaseLease(actor, parse(Id, params).id, parse(ReleaseLeaseSchema, query));
        return {};
      },
    },
    {
      method: 'POST', path: '/sweeps/:id/extend',
      schema: { summary: 'Add trials to a sweep (a grid sweep up to its grid\'s size)', tags, params: Id, body: ExtendSchema, response: { 200: SweepOut } },
      handler: async ({ actor, params, body }) => detailToWire(await w.extend(actor, parse(Id, params).id, parse(ExtendSchema, body))),
    },
    {
      method: 'GET', path: '/sweeps/:id/best',
      schema: { summary: 'The best trial: the best complete value by the declared goal, the earliest on ties, never NaN', tags, params: Id, response: { 200: TrialOut } },
      handler: async ({ actor, params }) => trialToWire(await w.best(actor, parse(Id, params).id)),
    },
    {
      method: 'GET', path: '/sweeps/:id/importance',
      schema: {
        summary: 'Parameter importance: the share of the objective\'s variance each parameter explains on its own (fANOVA over a seeded random forest fitted to the complete trials), summing to 1',
        tags, params: Id, querystring: ImportanceQuerySchema, response: { 200: ImportanceOut },
      },
      handler: async ({ actor, params, query }) => w.importance(actor, parse(Id, params).id, parse(ImportanceQuerySchema, query ?? {})),
    },
    {
      method: 'POST', path: '/sweeps/:id/register',
      schema: { summary: 'Register the best trial\'s model (runs:/<run>/<artifactPath>) as a new model version', tags, params: Id, body: RegisterBestSchema, response: { 201: ModelVersionOut } },
      handler: async ({ actor, params, body, reply }) => {
        const version = await w.registerBest(actor, parse(Id, params).id, parse(RegisterBestSchema, body));
        void reply.status(201);
        return version;
      },
    },
  ];
}
