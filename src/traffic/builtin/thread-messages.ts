/**
 * The messages between the agent's main thread and the built-in router's worker thread
 * (threaded-router.ts, router-thread.ts), and how an error crosses between them.
 */
import { AppError, ERROR_CODES, type ErrorCode } from '../../domain/errors.ts';
import type { ClientLimits } from './client-conn.ts';

/** The router methods the main thread calls; each is answered once with the same id. */
export type RouterOp = 'apply' | 'setWeights' | 'metrics' | 'prometheus' | 'remove' | 'close';

export interface RouterCall {
  readonly id: number;
  readonly op: RouterOp;
  readonly args: readonly unknown[];
}

export interface RouterAnswer {
  readonly id: number;
  readonly value?: unknown;
  readonly error?: WireError;
}

/** A worker's request for a listener held by the supervisor, and the main thread's answer. */
export interface HeldAsk {
  readonly held: number;
  readonly host: string;
  readonly port: number;
  readonly key: string;
}
export interface HeldAnswer {
  readonly held: number;
  readonly fd?: number;
  readonly error?: string;
}
export interface HeldRelease {
  readonly release: string;
}

export interface RouterThreadData {
  readonly supervised: boolean;
  readonly limits: Partial<ClientLimits>;
}

/** An error as it crosses threads: an AppError keeps its code and details, others their message. */
export interface WireError {
  readonly code?: string;
  readonly message: string;
  readonly details?: readonly string[];
}

export function toWire(error: unknown): WireError {
  if (error instanceof AppError) return { code: error.code, message: error.message, details: error.details };
  return { message: error instanceof Error ? error.message : String(error) };
}

export function fromWire(error: WireError): Error {
  if (error.code !== undefined && error.code in ERROR_CODES) {
    return new AppError(error.code as ErrorCode, error.message, { details: error.details ?? [] });
  }
  return new Error(error.message);
}
