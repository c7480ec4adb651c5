/** The start's part of legacy-import.ts: import the AWS layer's old JSON files once, and say so in the log. */
import { importLegacyAwsFiles, IMPORTED_SUFFIX, LEGACY_FACTS_FILE, LEGACY_KEYS_FILE } from '../api/aws/legacy-import.ts';
import type { SecretBox } from '../releases/secret-box.ts';
import type { Store } from '../store/ports.ts';
import type { Logger } from './logger.ts';

export async function importAwsFiles(dataDir: string, store: Store, box: SecretBox, logger: Logger): Promise<void> {
  const { keys, facts } = await importLegacyAwsFiles(dataDir, store, box);
  if (keys) {
    logger.info(
      { imported: keys.imported, alreadyInStore: keys.kept, dataDir },
      `AWS access keys: imported ${LEGACY_KEYS_FILE} into the store (secrets sealed with the platform's secrets key); the old files are renamed with ${IMPORTED_SUFFIX} and may be deleted once backed up`,
    );
  }
  if (facts) {
    logger.info(
      { imported: facts.imported, alreadyInStore: facts.kept, dataDir },
      `Lambda facts of functions: imported ${LEGACY_FACTS_FILE} into the store; the old file is renamed with ${IMPORTED_SUFFIX}`,
    );
  }
}
