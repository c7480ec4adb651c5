/** `assert/strict`: the strict assertion functions. */
import { strict } from './assert.ts';
export default strict;
