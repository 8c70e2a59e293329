// Declarations for web/tailor-recs.js (`tailor-recommender/element`); importing it registers
// <tailor-recs>.
import type { TailorRecsElement, TailorRecsMode, TailorRecsStrings } from './tailor.js';

export type {
  CatalogItem,
  Recommendation,
  RecommendationReason,
  RecommendedItem,
  SimilarItems,
  TailorRecsElement,
  TailorRecsMode,
  TailorRecsStrings,
  TailorResultsDetail,
  TailorSelectDetail,
} from './tailor.js';

export declare const TailorRecs: {
  new (): TailorRecsElement;
  prototype: TailorRecsElement;
  readonly observedAttributes: string[];
};

/** The English strings. */
export declare const DEFAULT_STRINGS: Readonly<TailorRecsStrings>;
export declare const MODES: readonly TailorRecsMode[];
export declare const DEFAULT_IMAGE_WIDTH: 240;
export declare const DEFAULT_IMAGE_HEIGHT: 300;

/** "3.1 of 10.5 MB" (`template` has `{loaded}` and `{total}`). */
export declare function formatBytes(loaded: number, total: number, template?: string): string;
/** The price in `currency` (ISO 4217) for `locale`; "" without a price. */
export declare function formatPrice(price: number | null | undefined, currency: string, locale: string): string;
/** `url` resolved against `base` if it is http(s), else null. */
export declare function safeUrl(url: string, base: string): string | null;
