import type { EndpointStore } from './endpoints';
import type { DeliveryKeys } from './keys';
import type { MessageService } from './messages';
import type { EndpointInput } from './schemas';

/** What the routes call: the stores plus the steps that span both (resume, delete). */
export interface DeliveryService {
  keys: DeliveryKeys;
  endpoints: EndpointStore;
  messages: MessageService;
  /** Resolves once this process's writes reached the configured Redis replicas (see Context). */
  replicated: () => Promise<void>;
}

/**
 * Saves an endpoint, then gives held (paused) messages a job again when it is enabled, and
 * parked ones when it is no longer ordered. The flag is written first, so a job that reads the
 * old flag has already joined a set that the release then drains: none is left behind.
 */
export async function saveEndpoint(s: DeliveryService, id: string, input: EndpointInput) {
  const { view } = await s.endpoints.put(id, input);
  const sets = [...(input.enabled ? [s.keys.held(id)] : []), ...(input.ordered ? [] : [s.keys.parked(id)])];
  if (sets.length) await s.messages.release(sets);
  await s.replicated();
  return view;
}

/** Deletes an endpoint; its waiting messages get a job that finds it gone and ends them `cancelled`. */
export async function deleteEndpoint(s: DeliveryService, id: string): Promise<boolean> {
  const existed = await s.endpoints.delete(id);
  await s.messages.release([s.keys.held(id), s.keys.parked(id)]);
  await s.replicated();
  return existed;
}
