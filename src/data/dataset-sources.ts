/**
 * Where the benchmark data sets come from and how to check them.
 *
 * We would rather pin SHA-256 digests, but none is published by the authors and this
 * project cannot fetch the archives to compute one, so each source carries the MD5 its
 * authors published. MD5 is no defence against a malicious mirror; it does catch the truncated
 * and corrupted downloads that are the real risk here. Pass `--sha256 HEX` to the CLI to pin a
 * stronger digest once you have one.
 */

export type HashAlgorithm = 'sha256' | 'md5';

export interface Checksum {
  readonly algorithm: HashAlgorithm;
  /** Lower-case hex. */
  readonly digest: string;
}

export type ArchiveFormat = 'tar.gz' | 'zip';

export type DatasetName = 'cifar100' | 'tinyimagenet';

export interface DatasetSource {
  readonly name: DatasetName;
  readonly title: string;
  readonly url: string;
  /** File name the archive is saved under inside the data directory. */
  readonly archiveName: string;
  readonly format: ArchiveFormat;
  /** Absent where no published digest is known; the CLI then asks for an override. */
  readonly checksum?: Checksum;
  /** Top-level directory inside the archive, which becomes `<dir>/<extractedDir>`. */
  readonly extractedDir: string;
  /** Approximate archive size (MiB), only for the message printed before a download. */
  readonly approxMegabytes: number;
  /**
   * Largest download accepted (MiB), about 1.5 times the expected size: room for a mirror that
   * packs it differently, while a wrong or hostile server cannot fill the disk. The CLI's
   * `--max-megabytes` overrides it.
   */
  readonly maxMegabytes: number;
}

export const DATASET_SOURCES: Readonly<Record<DatasetName, DatasetSource>> = {
  cifar100: {
    name: 'cifar100',
    title: 'CIFAR-100 (binary version)',
    url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
    archiveName: 'cifar-100-binary.tar.gz',
    format: 'tar.gz',
    // Published on https://www.cs.toronto.edu/~kriz/cifar.html next to the download link.
    checksum: { algorithm: 'md5', digest: '03b5dce01913d631647c71ecec9e9cb8' },
    extractedDir: 'cifar-100-binary',
    approxMegabytes: 161,
    maxMegabytes: 250,
  },
  tinyimagenet: {
    name: 'tinyimagenet',
    title: 'Tiny ImageNet (200 classes, 64x64)',
    // The Stanford server only answers over plain HTTP; the checksum is what protects us.
    url: 'http://cs231n.stanford.edu/tiny-imagenet-200.zip',
    archiveName: 'tiny-imagenet-200.zip',
    format: 'zip',
    // The digest commonly published alongside this URL (e.g. by torchvision-style loaders);
    // Stanford itself does not list one on the download page.
    checksum: { algorithm: 'md5', digest: '90528d7ca1a48142e341f4ef8d21d0de' },
    extractedDir: 'tiny-imagenet-200',
    approxMegabytes: 237,
    maxMegabytes: 360,
  },
};

export const DATASET_NAMES = Object.keys(DATASET_SOURCES) as DatasetName[];

export function isDatasetName(value: string): value is DatasetName {
  return Object.hasOwn(DATASET_SOURCES, value);
}

const HEX_LENGTH: Readonly<Record<HashAlgorithm, number>> = { sha256: 64, md5: 32 };

/** Validates and normalises a user-supplied digest; throws naming the algorithm on bad input. */
export function parseChecksum(algorithm: HashAlgorithm, hex: string): Checksum {
  const digest = hex.trim().toLowerCase();
  const length = HEX_LENGTH[algorithm];
  if (!new RegExp(`^[0-9a-f]{${length}}$`).test(digest)) {
    throw new Error(`invalid ${algorithm} digest '${hex}': expected ${length} hex characters`);
  }
  return { algorithm, digest };
}
