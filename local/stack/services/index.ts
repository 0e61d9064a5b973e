import type { ServiceDef } from '../service.js';
import { apicurioRegistryService } from './apicurio-registry.js';
import { dynoxideService } from './dynoxide.js';
import { kafkaService } from './kafka.js';
import { motoService } from './moto.js';
import { opensearchService } from './opensearch.js';

/** The services of the local stack, in the order `status` reports them. */
export const services: readonly ServiceDef[] = [
  kafkaService,
  opensearchService,
  dynoxideService,
  motoService,
  apicurioRegistryService,
];
