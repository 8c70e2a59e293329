// A shop's TypeScript, checked with `tsc --noEmit` against the installed package: it fails when
// the declarations lose or change what the code offers. `exports.json` lists what the modules
// export at run time (the browser test compares it with the real modules); the type checks
// below tie it to the declarations, in both directions.
import * as api from 'tailor-recommender';
import * as element from 'tailor-recommender/element';
import {
  type CatalogItem,
  type CompletedLook,
  type Recommendation,
  type SimilarItems,
  Tailor,
  TailorError,
  describeError,
} from 'tailor-recommender';
import { DEFAULT_STRINGS, formatPrice } from 'tailor-recommender/element';
import exported from './exports.json' with { type: 'json' };

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const sameApi: Equal<keyof typeof api, keyof (typeof exported)['tailor-recommender']> = true;
export const sameElement: Equal<
  keyof typeof element,
  keyof (typeof exported)['tailor-recommender/element']
> = true;
export const sameMembers: Equal<keyof Tailor, keyof (typeof exported)['Tailor']> = true;

export async function shopPage(bar: HTMLProgressElement, list: HTMLElement): Promise<void> {
  let rec: Tailor;
  try {
    rec = await Tailor.load('/bundle/', {
      backend: 'auto',
      historyLimit: 100,
      workerUrl: '/assets/tailor/worker.js',
      wasmUrl: new URL('/assets/tailor/pkg/', location.href),
      onProgress: ({ loaded, total }) => {
        bar.value = loaded / total;
      },
      cache: true,
      shop: 'my-shop',
      callTimeoutMs: 5_000,
    });
  } catch (error) {
    if (error instanceof TailorError && (error.code === 'damaged' || error.code === 'timeout')) {
      list.textContent = describeError(error).summary;
    }
    return;
  }
  const first: CatalogItem = rec.items[0];
  const downloaded: number = (rec.loadStats?.fetchedBytes ?? 0) + rec.restarts;
  bar.dataset.downloaded = String(downloaded);
  const recorded: boolean = await rec.history.record({ itemId: first.id, event: 'purchase' });
  const result: Recommendation = await rec.recommend({
    query: 'linen dress',
    k: 12,
    exclude: [first.id],
    category: 'Dresses',
  });
  const like: SimilarItems = await rec.similar({ item: first.id, k: 4, category: first.class });
  const price: string = formatPrice(first.price, first.currency, 'de-DE');
  list.textContent = `${recorded} ${result.items.length} ${like.items[0]?.title} ${price}`;
  if (rec.outfitItems.length > 0) {
    const look: CompletedLook = await rec.completeOutfit({ anchor: rec.outfitItems[0].id, k: 3 });
    list.title = String(look.outfits[0]?.score);
  }

  const recs = document.createElement('tailor-recs');
  recs.setAttribute('mode', 'similar');
  recs.strings = { search: 'Suchen', results: '{count} Ergebnisse.' };
  const english: string = DEFAULT_STRINGS.because;
  recs.addEventListener('tailor-select', (event) => {
    const chosen: CatalogItem = event.detail.item;
    const rank: number = event.detail.rank;
    if (chosen.url.startsWith('/sale/') && rank >= 0) event.preventDefault();
  });
  recs.addEventListener('tailor-results', (event) => {
    list.dataset.mode = event.detail.mode;
  });
  document.body.append(recs);
  const shown: Recommendation | SimilarItems | null = await recs.refresh();
  list.dataset.english = `${english} ${shown?.items.length}`;

  // @ts-expect-error similar() needs the item it is to match
  await rec.similar({ k: 3 });
  // @ts-expect-error the backend is one of three names
  await Tailor.load('/bundle/', { backend: 'gpu' });
  // @ts-expect-error exclude takes item ids
  await rec.recommend({ query: '', exclude: 'a,b' });
  rec.close();
}
