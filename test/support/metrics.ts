/**
 * The EMF metrics Powertools printed through the mocked `console.log` (see setup.ts): name → value, with the
 * dimension value (`Rule` or `Channel`) where there is one.
 */
export function metricsWritten(): { name: string; value: number; dimension?: string }[] {
  return (console.log as jest.Mock).mock.calls
    .map(([line]) =>
      typeof line === 'string' && line.includes('"_aws"')
        ? (JSON.parse(line) as Record<string, unknown>)
        : undefined,
    )
    .filter((blob): blob is Record<string, unknown> => blob !== undefined)
    .flatMap((blob) => {
      const directive = (blob._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] })
        .CloudWatchMetrics[0]!;
      const dimension = (blob.Rule ?? blob.Channel) as string | undefined;
      return directive.Metrics.map(({ Name }) => ({
        name: Name,
        value: blob[Name] as number,
        ...(dimension ? { dimension } : {}),
      }));
    });
}
