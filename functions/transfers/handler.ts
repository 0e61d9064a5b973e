import { createTransfersHandler } from './create-handler.js';

export const handler = createTransfersHandler(process.env);
