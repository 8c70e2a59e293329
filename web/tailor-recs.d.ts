// Declarations for web/tailor-recs.js; importing it registers <tailor-recs>.
import type { TailorRecsElement } from './tailor.js';

export type {
  Recommendation,
  RecommendationReason,
  RecommendedItem,
  TailorRecsElement,
  TailorResultsDetail,
} from './tailor.js';

export declare const TailorRecs: {
  new (): TailorRecsElement;
  prototype: TailorRecsElement;
  readonly observedAttributes: string[];
};

/** "3.1 of 10.5 MB" */
export declare function formatBytes(loaded: number, total: number): string;
