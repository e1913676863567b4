/**
 * What the process writes to stdout and stderr (the logs), kept for a test that searches them, and
 * still written. Returns what puts the streams back.
 */
export const captureOutput = (into: string[]): (() => void) => {
  const restores = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write;
    const write = original.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: any[]) => {
      into.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
};
