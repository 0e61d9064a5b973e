import { createClaimsHandler } from './create-handler.js';

export const handler = createClaimsHandler(process.env);
