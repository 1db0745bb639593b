import { Controller, Get } from '@nestjs/common';
import { GenServerRuntime } from 'nestjs-genserver';
import { NodeName } from './node-name.service.js';

export interface ClusterView {
  /** The node that answered (null when the instance runs alone). */
  node: string | null;
  /** The live nodes, this one first, with the cluster-wide processes each runs (empty when alone). */
  nodes: ReturnType<GenServerRuntime['nodes']>;
  /** Where the rate limiter runs and its owner's fencing epoch (which grows with every takeover). */
  rateLimiter: { node: string | null; epoch: number | null } | null;
}

/** GET /cluster: what this instance knows of the cluster. Ask any port: they agree on the owner. */
@Controller('cluster')
export class ClusterController {
  constructor(
    private readonly runtime: GenServerRuntime,
    private readonly node: NodeName,
  ) {}

  @Get()
  view(): ClusterView {
    const limiter = this.runtime.whereis('rate_limiter');
    return {
      node: this.node.value ?? null,
      nodes: this.runtime.nodes(),
      rateLimiter: limiter ? { node: limiter.node ?? null, epoch: limiter.epoch ?? null } : null,
    };
  }
}
