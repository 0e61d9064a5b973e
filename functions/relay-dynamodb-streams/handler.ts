import { createHandler } from './create-handler.js';

export const handler = createHandler(process.env);
