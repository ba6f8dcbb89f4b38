export { serveStudio, siteDir, ISOLATION_HEADERS, type ServeOptions, type StudioServer } from './server';
