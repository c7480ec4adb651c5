/** `stream/web`: the isolate's WHATWG stream globals under Node's module name (those the runtime has). */
const g = globalThis as unknown as Record<string, unknown>;
export const ReadableStream = g.ReadableStream;
export const ReadableStreamDefaultReader = g.ReadableStreamDefaultReader;
export const ReadableStreamBYOBReader = g.ReadableStreamBYOBReader;
export const ReadableStreamDefaultController = g.ReadableStreamDefaultController;
export const ReadableByteStreamController = g.ReadableByteStreamController;
export const WritableStream = g.WritableStream;
export const WritableStreamDefaultWriter = g.WritableStreamDefaultWriter;
export const WritableStreamDefaultController = g.WritableStreamDefaultController;
export const TransformStream = g.TransformStream;
export const TransformStreamDefaultController = g.TransformStreamDefaultController;
export const ByteLengthQueuingStrategy = g.ByteLengthQueuingStrategy;
export const CountQueuingStrategy = g.CountQueuingStrategy;
export const TextEncoderStream = g.TextEncoderStream;
export const TextDecoderStream = g.TextDecoderStream;
export const CompressionStream = g.CompressionStream;
export const DecompressionStream = g.DecompressionStream;
export default {
  ReadableStream, ReadableStreamDefaultReader, ReadableStreamBYOBReader, ReadableStreamDefaultController, ReadableByteStreamController,
  WritableStream, WritableStreamDefaultWriter, WritableStreamDefaultController, TransformStream, TransformStreamDefaultController,
  ByteLengthQueuingStrategy, CountQueuingStrategy, TextEncoderStream, TextDecoderStream, CompressionStream, DecompressionStream,
};
