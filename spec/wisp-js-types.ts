/**
 * Types for the parts of @mercuryworkshop/wisp-js the specs use (it ships none). Loaded with
 * `require` (its CommonJS bundles) and given these types, so no `any` leaks into the specs.
 */
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';

/** An extension instance: wisp-js serializes it as a whole record (`id · length · metadata`). */
export interface WispJsExtension {
  serialize(): { bytes: Uint8Array };
}

export interface WispJsExtensionConfig {
  client_config?: Record<string, unknown>;
  server_config?: Record<string, unknown>;
}

export type WispJsExtensionClass = new (config: WispJsExtensionConfig) => WispJsExtension;

export interface WispJsExtensions {
  PasswordAuthExtension: WispJsExtensionClass;
  MOTDExtension: WispJsExtensionClass;
  UDPExtension: WispJsExtensionClass;
  BaseExtension: {
    /** Parses a record as sent by `sender`; `payload` is the extension's parsed metadata. */
    parse(extClass: WispJsExtensionClass, buffer: unknown, sender: 'client' | 'server'): { payload: Record<string, unknown> };
  };
}

/** `require('@mercuryworkshop/wisp-js')`. */
export interface WispJsFull {
  extensions: WispJsExtensions;
  packet: { WispBuffer: new (bytes: Uint8Array) => unknown };
}

/** `require('@mercuryworkshop/wisp-js/client')`. */
export interface WispJsClientModule {
  extensions: WispJsExtensions;
  client: { ClientConnection: new (url: string, options: object) => unknown };
}

/** `require('@mercuryworkshop/wisp-js/server')`. */
export interface WispJsServerModule {
  logging: { log_level: number; NONE: number; set_level(level: number): void };
  server: {
    options: Record<string, unknown>;
    routeRequest(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  };
}
