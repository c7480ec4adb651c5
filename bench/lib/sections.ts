/** The sections RESULTS.md shows after the load scenarios: the WPT table, then the npm compatibility table. */
import { compatSection } from '../compat/section.ts';
import { wptSection } from '../wpt/section.ts';

export const extraSections = (resultsDir: string): string[] => [...wptSection(resultsDir), ...compatSection(resultsDir)];
