import type { ExtensionBuilder } from '../wisp/extensions/extension.js';
import { keyAuth } from '../wisp/extensions/key-auth.js';
import { motd } from '../wisp/extensions/motd.js';
import { password, staticUsers } from '../wisp/extensions/password.js';
import { streamConfirmation } from '../wisp/extensions/stream-confirmation.js';
import { udp } from '../wisp/extensions/udp.js';
import type { ResolvedGatewayOptions } from './gateway-options.js';

/**
 * The v2 extensions a gateway offers, from its options: UDP unless the policy forbids it,
 * password and key auth when configured, MOTD, stream-open confirmation, then custom ones.
 * Built once; the gateway wraps the auth ones per connection (see `AuthLimiter.guard`).
 */
export function gatewayExtensions(o: ResolvedGatewayOptions): ExtensionBuilder[] {
  const list: ExtensionBuilder[] = [];
  if (o.policy.allowUdp !== false) list.push(udp());
  if (o.passwords) {
    const validate = typeof o.passwords === 'function' ? o.passwords : staticUsers(o.passwords);
    list.push(password({ validate, required: o.authRequired }));
  }
  if (o.publicKeys && o.publicKeys.length > 0) list.push(keyAuth({ publicKeys: [...o.publicKeys], required: o.authRequired }));
  if (o.motd !== undefined) list.push(motd(o.motd));
  list.push(streamConfirmation(), ...o.extensions);
  return list;
}
