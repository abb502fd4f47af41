/**
 * The strategies, models and data sets that ship with the package, registered exactly as a
 * plugin registers its own (see components.ts). Built-in registrations never replace an entry,
 * so a user's registration under the same name wins.
 */
import { z } from 'zod';
import { cifar100Dataset } from '../data/cifar100.js';
import { DATASET_SOURCES, type DatasetName } from '../data/dataset-sources.js';
import {
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_NORMALIZATION,
  loadFashionMnist,
} from '../data/fashion-mnist.js';
import { loadImageFolder } from '../data/image-folder.js';
import { tinyImageNetDataset } from '../data/tinyimagenet.js';
import { createMlp, mlpSettings } from '../models/mlp.js';
import { createResNet18, resnet18Settings } from '../models/resnet18.js';
import { adamNsclSettings, createAdamNscl } from '../strategies/adam-nscl.js';
import { createEwc, ewcSettings } from '../strategies/ewc.js';
import { createFinetune } from '../strategies/finetune.js';
import { createGpm, gpmSettings } from '../strategies/gpm.js';
import { createJoint } from '../strategies/joint.js';
import { createLwf, lwfSettings } from '../strategies/lwf.js';
import { registerDataset, registerModel, registerStrategy } from './components.js';

const builtin = (summary: string) => ({ builtin: true, summary });

registerStrategy(
  'adam-nscl',
  ({ settings, config }) => createAdamNscl(settings, config),
  adamNsclSettings,
  builtin('Adam-NSCL: updates projected onto the null space of earlier tasks’ features'),
);
registerStrategy(
  'finetune',
  () => createFinetune(),
  undefined,
  builtin('plain training, no protection'),
);
registerStrategy(
  'ewc',
  ({ settings, config }) => createEwc(settings, config),
  ewcSettings,
  builtin('Elastic Weight Consolidation on the shared parameters'),
);
registerStrategy(
  'lwf',
  ({ settings }) => createLwf(settings),
  lwfSettings,
  builtin('Learning without Forgetting: distils earlier outputs on new data'),
);
registerStrategy(
  'gpm',
  ({ settings, config }) => createGpm(settings, config),
  gpmSettings,
  builtin('Gradient Projection Memory: gradients orthogonal to earlier tasks’ inputs'),
);
registerStrategy(
  'joint',
  () => createJoint(),
  undefined,
  builtin('upper bound: trains on every task seen so far'),
);

registerModel(
  'mlp',
  ({ inputShape: [h, w, c], classesPerTask, settings, rng }) =>
    createMlp({ inputSize: h * w * c, hidden: settings.hidden, classesPerTask }, rng),
  mlpSettings,
  builtin('bias-free ReLU MLP (the reference 784-400-400)'),
);
registerModel(
  'resnet18',
  ({ inputShape, classesPerTask, settings, rng }) =>
    createResNet18(
      { inputChannels: inputShape[2], baseWidth: settings.width, classesPerTask },
      rng,
    ),
  resnet18Settings,
  builtin('pre-activation ResNet-18 of the Adam-NSCL code'),
);

registerDataset(
  'fashion-mnist',
  async ({ dir, settings }) => {
    const data = await loadFashionMnist({ dir: dir ?? undefined, subset: settings.subset });
    const subset = settings.subset && dir === null;
    return {
      ...data,
      name: subset ? 'fashion-mnist-subset' : 'fashion-mnist',
      classNames: FASHION_MNIST_CLASS_NAMES,
      normalization: FASHION_MNIST_NORMALIZATION,
    };
  },
  {
    subset: z
      .boolean()
      .default(true)
      .describe('without data.dir: the embedded subset (true) or the Debian package’s full set'),
  },
  { ...builtin('Fashion-MNIST (IDX files; an embedded subset ships)'), defaultTasks: 5 },
);
registerDataset('cifar100', ({ dir }) => cifar100Dataset(requireDir(dir, 'cifar100')), undefined, {
  ...builtin('CIFAR-100, official binary version (fine labels)'),
  defaultTasks: 10,
});
registerDataset(
  'tinyimagenet',
  ({ dir }) => tinyImageNetDataset(requireDir(dir, 'tinyimagenet')),
  undefined,
  { ...builtin('Tiny ImageNet 200, official layout (val split as test)'), defaultTasks: 25 },
);

registerDataset(
  'folder',
  ({ dir }) => loadImageFolder(requireDir(dir, 'folder')),
  undefined,
  builtin('image folders DIR/train/<class>/*, DIR/test/<class>/* (PNG, JPEG)'),
);

function requireDir(dir: string | null, dataset: DatasetName | 'folder'): string {
  if (dir === null) {
    throw new Error(
      dataset === 'folder'
        ? 'data.dir is required for folder: the folder that holds train/<class>/ and test/<class>/'
        : `data.dir is required for ${dataset} (get it with: nullspace-cl datasets ${dataset} --dir DIR, then --set data.dir=DIR/${DATASET_SOURCES[dataset].extractedDir})`,
    );
  }
  return dir;
}
