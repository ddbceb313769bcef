// `npm start`: runs the Tandem server and web app. Until the server package lands, say so plainly.
console.log('Tandem: the collaboration server is not built yet (see the open issues).');
console.log('What works today: the sync core, `npm test`, and `npm run bench -- core`.');
