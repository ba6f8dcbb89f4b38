// The example is a script: importing it runs it.
export {};
