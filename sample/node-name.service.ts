import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { GenServerModuleOptions } from 'nestjs-genserver';

/**
 * This instance's node name in a cluster (`cluster.node` of config/cluster.yaml, from
 * `GENSERVER_NODE`), or `undefined` when it runs alone. A provider, so that controllers and
 * processes name the node they run on.
 */
@Injectable()
export class NodeName {
  readonly value: string | undefined;

  constructor(config: ConfigService) {
    this.value = config.get<GenServerModuleOptions>('genserver')?.cluster?.node;
  }
}
