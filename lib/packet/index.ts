export * from './types.js';
export * from './close-reason.js';
export { decodePacket } from './decode.js';
export {
  encodePacket,
  encodeData,
  encodeContinue,
  encodeClose,
  encodeConnect,
  encodeInfo,
  dataPacketInPlace,
} from './encode.js';
