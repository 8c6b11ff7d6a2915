/**
 * Image pruning: after a release's containers are removed, the images of the same repository that
 * no container uses any more are removed, except the newest `keep` of them (the releases a rollback
 * is most likely to go back to start without a pull). An image pruned is not lost: its release
 * names it by digest, and a later start pulls it again from the registry.
 */
import type { Engine } from './engine.ts';

/** `registry/name` of an image reference by digest. */
export function repositoryOfImage(image: string): string {
  return image.split('@')[0] ?? image;
}

/** Removes the unused images of `repository` beyond the newest `keep`; returns the digests removed. */
export async function pruneImages(engine: Engine, repository: string, keep: number): Promise<string[]> {
  const [images, containers] = await Promise.all([
    engine.listImages({ all: false }),
    engine.listContainers({ all: true }),
  ]);
  const used = new Set(containers.map((c) => c.ImageID));
  const mine = images
    .filter((image) => (image.RepoDigests ?? []).some((d) => repositoryOfImage(d) === repository))
    .filter((image) => !used.has(image.Id) && !used.has(image.Id.replace(/^sha256:/, '')))
    .sort((a, b) => b.Created - a.Created);
  const removed: string[] = [];
  for (const image of mine.slice(keep)) {
    try {
      await engine.getImage(image.Id).remove({ force: false });
      removed.push(...(image.RepoDigests ?? []));
    } catch {
      // In use again (a start raced us) or already gone: keep going.
    }
  }
  return removed;
}
