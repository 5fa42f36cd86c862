/** Where the build records what it was made from (relative to the package root). */
export declare const STAMP: string;
/** A digest of the build's inputs (paths, sizes, modification times, directory entries). */
export declare function inputsDigest(root: string): string;
/** True when dist/ was built from exactly the inputs present now. */
export declare function distIsFresh(root: string): boolean;
