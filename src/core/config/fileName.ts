// The project file's name, in a module without the YAML and schema libraries: code that only
// needs the name (the lint CLI's start, file watchers) does not load them.
export const CONFIG_FILE_NAME = 'greenlight.yaml';
