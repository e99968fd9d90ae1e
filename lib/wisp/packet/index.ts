export * from './types.js';
export * from './close-reason.js';
export { decodePacket, decodeSplitPacket } from './decode.js';
export {
  encodePacket,
  encodeData,
  encodeDataHeader,
  encodeContinue,
  encodeClose,
  encodeConnect,
  encodeInfo,
  dataPacketInPlace,
} from './encode.js';
