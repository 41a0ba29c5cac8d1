import type { FastifyReply } from 'fastify';
import { isModelFailure } from '../../domain/serving/model-runtime.js';
import { V1_STATUS } from '../v1/errors.js';

/** Open Inference Protocol errors: `{"error": "<message>"}` with the native API's statuses. */
export const OIP_STATUS = V1_STATUS;
export const oipErrorBody = (_code: string, message: string) => ({ error: message });

/** MLflow's scoring server answers `{"error_code": "BAD_REQUEST", "message": …}` for input it cannot use. */
export const scoringErrorBody = (code: string, message: string) => ({ error_code: code === 'INVALID_PARAMETER_VALUE' ? 'BAD_REQUEST' : code, message });

/**
 * A model that failed (not the request) is the server's error: 503 when it could not be reached,
 * 500 when it ran and threw. Everything else goes to the surface's error table.
 */
export async function answeringModelFailures<T>(reply: FastifyReply, body: (code: string, message: string) => unknown, fn: () => Promise<T>): Promise<T | unknown> {
  try {
    return await fn();
  } catch (err) {
    if (!isModelFailure(err)) throw err;
    void reply.status(err.unavailable ? 503 : 500);
    return body(err.unavailable ? 'TEMPORARILY_UNAVAILABLE' : 'INTERNAL_ERROR', err.message);
  }
}
