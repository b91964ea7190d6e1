// Streams a file as a web ReadableStream in fixed-size chunks, reading the next chunk only when
// the consumer asks for it (pull), so memory stays at a few chunks whatever the file's size.
import { open } from "node:fs/promises";

const CHUNK_BYTES = 1024 * 1024;

export async function fileStream(filePath: string): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
  const handle = await open(filePath, "r");
  const { size } = await handle.stat();
  let position = 0;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, position);
          position += bytesRead;
          if (bytesRead > 0) controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
          if (bytesRead === 0 || position >= size) {
            await close();
            controller.close();
          }
        } catch (error) {
          await close().catch(() => {});
          controller.error(error);
        }
      },
      // The client went away: release the file handle.
      cancel: close,
    },
    { highWaterMark: 2 },
  );
  return { stream, size };
}
