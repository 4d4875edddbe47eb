/** The widget module's name and version: the kernel package's `View` names the same pair. */
export const MODULE_NAME = 'winnow-jupyter';
export const MODULE_VERSION = '0.1.0';
