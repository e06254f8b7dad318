/**
 * A tiny typed event hub shared by both bridges: listeners per pushed event name, and a dispatcher
 * that never lets one listener's exception stop the others.
 */
import type { EngineEvents, EventName } from '../../../../main/contract/commands.js';

/** The pushed events, listed here so the renderer does not load the contract's run-time schemas. */
export const ENGINE_EVENT_NAMES = ['trace:batch', 'run:updated'] as const satisfies readonly EventName[];

type AnyListener = (payload: never) => void;

export class EventHub {
  readonly #listeners = new Map<EventName, Set<AnyListener>>();

  on<E extends EventName>(event: E, listener: (payload: EngineEvents[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as AnyListener);
    return () => set.delete(listener as AnyListener);
  }

  dispatch(event: string, payload: unknown): void {
    const set = this.#listeners.get(event as EventName);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: unknown) => void)(payload);
      } catch (error) {
        console.error(`IPC Lab: a listener of "${event}" failed`, error);
      }
    }
  }
}
