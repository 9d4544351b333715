import { AppError } from '../errors';
import type { EndpointStore } from './endpoints';
import type { DeliveryKeys } from './keys';
import type { MessageService } from './messages';
import type { EndpointInput } from './schemas';
import { SsrfRefusedError, type SsrfGuard } from './ssrf';

/** What the routes call: the stores plus the steps that span both (resume, delete). */
export interface DeliveryService {
  keys: DeliveryKeys;
  endpoints: EndpointStore;
  messages: MessageService;
  /** The same guard the sender uses, configured by OUTBOUND_ALLOW_PRIVATE / OUTBOUND_ALLOW_HOSTS. */
  guard: SsrfGuard;
}

/**
 * A URL whose host is a forbidden IP literal can never be delivered to: refuse it when it is
 * saved rather than fail every attempt. Host names are judged at connect time, on the
 * addresses they resolve to then (DNS can change; see ssrf.ts).
 */
function checkDestination(guard: SsrfGuard, url: string): void {
  try {
    guard.checkHost(new URL(url).hostname);
  } catch (err) {
    if (!(err instanceof SsrfRefusedError)) throw err;
    const message = `${err.address} is a ${err.reason} address: deliveries to it are refused unless OUTBOUND_ALLOW_PRIVATE=true or it is listed in OUTBOUND_ALLOW_HOSTS.`;
    throw new AppError('invalid_request', `Invalid body: body.url ${message}`, [{ path: 'body.url', message }]);
  }
}

/**
 * Saves an endpoint, then gives held (paused) messages a job again when it is enabled, and
 * parked ones when it is no longer ordered. The flag is written first, so a job that reads the
 * old flag has already joined a set that the release then drains: none is left behind.
 */
export async function saveEndpoint(s: DeliveryService, id: string, input: EndpointInput) {
  checkDestination(s.guard, input.url);
  const { view } = await s.endpoints.put(id, input);
  const sets = [...(input.enabled ? [s.keys.held(id)] : []), ...(input.ordered ? [] : [s.keys.parked(id)])];
  if (sets.length) await s.messages.release(sets);
  return view;
}

/** Deletes an endpoint; its waiting messages get a job that finds it gone and ends them `cancelled`. */
export async function deleteEndpoint(s: DeliveryService, id: string): Promise<boolean> {
  const existed = await s.endpoints.delete(id);
  await s.messages.release([s.keys.held(id), s.keys.parked(id)]);
  return existed;
}
