/**
 * Extension id bytes, as carried in the extension list of a v2 INFO packet.
 *
 * Kept as a plain `as const` object (not a TS `enum`) so it tree-shakes and so an id a peer
 * sends that we do not know stays an ordinary number instead of an invalid enum member.
 */
export const ExtensionId = {
  /** 0x01: UDP streams may be opened. Empty metadata both ways. */
  Udp: 0x01,
  /** 0x02: username/password authentication. */
  Password: 0x02,
  /** 0x03: Ed25519 public-key (challenge/response) authentication. */
  KeyAuth: 0x03,
  /** 0x04: server message of the day, sent in the server's INFO. */
  Motd: 0x04,
  /** 0x05: the server confirms each opened stream with a CONTINUE. Empty metadata both ways. */
  StreamConfirmation: 0x05,
} as const;

/** One of the extension id bytes wisp-rx implements (see {@link ExtensionId}). */
export type ExtensionId = (typeof ExtensionId)[keyof typeof ExtensionId];
