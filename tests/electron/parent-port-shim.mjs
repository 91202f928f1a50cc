// Gives a Node child process Electron's `process.parentPort` (utility process API) over Node IPC with
// structured-clone serialization, so the engine host bundle can run without Electron.
process.parentPort = {
  on(event, listener) {
    if (event === 'message') process.on('message', (data) => listener({ data }));
  },
  postMessage(message) {
    process.send(message);
  },
};
