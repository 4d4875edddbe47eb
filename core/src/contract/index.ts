/** The one contract between the server and its clients: request schemas and their types. */
export * from './jobs.js';
export * from './requests.js';
export * from './view-routes.js';
