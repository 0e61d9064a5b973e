import type { ServiceDef } from '../service.js';
import { kafkaService } from './kafka.js';
import { motoService } from './moto.js';

/** The services of the local stack, in the order `up` reports them. */
export const services: readonly ServiceDef[] = [kafkaService, motoService];
