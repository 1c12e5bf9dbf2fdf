// The 1000 ILSVRC-2012 class names in class-index order, from imagenet-classes.json (see README.md in
// this folder for its source and license).

import classes from './imagenet-classes.json' with { type: 'json' };

/** ImageNet (ILSVRC-2012) class names; index i is the name of class i of a 1000-way classifier. */
export const imagenetLabels: readonly string[] = Object.freeze(classes as string[]);
