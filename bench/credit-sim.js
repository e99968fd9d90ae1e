#!/usr/bin/env node
// A model, not a measurement: one Wisp upload over a 25 ms + 25 ms path, the client sending one
// packet every `tx` ms while it has credit, the server granting by a policy. It compares
// today's server rule (grant only once the client may have spent all its credit) with an
// early-grant rule (grant every k packets what stays safe: free − (upper − received)), to show
// what the second could gain, and what it risks (`worstBuffered` over G: the client was allowed
// more than the server's buffer), before anyone changes credit semantics (docs/architecture.md,
// "Wisp upload credit"). `node bench/credit-sim.js`
'use strict';

function run(policy, { G = 128, d = 25, tx = 0.19, T = 4000, consumeDelay = 0 } = {}) {
  const events = []; // [time, kind, value], kept in time order
  const push = (t, kind, value) => {
    let i = events.length;
    while (i > 0 && events[i - 1][0] > t) i--;
    events.splice(i, 0, [t, kind, value]);
  };
  const s = { received: 0, consumed: 0, lower: G, upper: G, lastGrant: G, G, threshold: G / 2 };
  let credit = G, sent = 0, nextSend = 0, t = 0, grants = 0, worst = 0;
  while (t < T) {
    const sendAt = credit > 0 ? Math.max(nextSend, t) : Infinity;
    const ev = events[0];
    if (ev && ev[0] <= sendAt) {
      events.shift();
      t = ev[0];
      if (ev[1] === 'data') {
        s.received++;
        push(t + consumeDelay, 'consume');
      } else if (ev[1] === 'consume') {
        s.consumed++;
        const v = policy(s);
        if (v >= 0) (grants++, push(t + d, 'continue', v));
      } else {
        credit = ev[2]; // a CONTINUE replaces the client's credit
        worst = Math.max(worst, sent + credit - s.consumed);
      }
    } else if (sendAt < Infinity) {
      t = sendAt;
      credit--;
      sent++;
      nextSend = t + tx;
      push(t + d, 'data');
    } else break;
  }
  return { packetsPerMs: +(s.received / T).toFixed(2), continues: grants, worstBuffered: worst };
}

const book = (s, v) => ((s.lower = s.received + v), (s.upper += v), (s.lastGrant = v), v);
const free = (s) => s.G - (s.received - s.consumed);
/** lib/wisp/packet-credit.ts today. */
const today = (s) => (s.received < s.lower || free(s) < s.threshold ? -1 : book(s, free(s)));
/** Early grants every k packets, capped so the bounds stay within one buffer; today's rule as the fallback. */
const early = (k) => (s) => {
  const safe = free(s) - (s.upper - s.received);
  if (s.received >= s.lower) return free(s) < s.threshold ? -1 : book(s, safe >= s.threshold ? safe : free(s));
  if (s.received >= s.lower - s.lastGrant + k && safe >= k && s.upper - s.received <= s.G) return book(s, safe);
  return -1;
};

for (const [name, policy] of [['today', today], ['early, k = 32', early(32)], ['early, k = 16', early(16)], ['early, k = 8', early(8)]]) {
  console.log(name.padEnd(14), JSON.stringify(run(policy)), '(window bound: 2.56 packets/ms)');
}
