import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { GenServerExceptionFilter, GenServerRuntime, type TreeNode } from 'nestjs-genserver';

import { SessionAgent, type SayReply } from './session-agent.genserver.js';

const processName = (id: string) => `session:${id}`;

@Controller()
@UseFilters(GenServerExceptionFilter)
export class SessionsController {
  constructor(private readonly runtime: GenServerRuntime) {}

  @Post('sessions/:id')
  async open(@Param('id') id: string) {
    await this.runtime.start(SessionAgent, { name: processName(id), supervisor: 'sessions', args: { id } });
    return { session: id };
  }

  @Post('sessions/:id/messages')
  @HttpCode(200)
  say(@Param('id') id: string, @Body() body: { text: string }): Promise<SayReply> {
    return this.runtime.call(processName(id), { type: 'say', text: String(body.text ?? '') });
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  async close(@Param('id') id: string) {
    await this.runtime.stop(processName(id));
  }

  @Get('tree')
  tree(): TreeNode | undefined {
    return this.runtime.tree();
  }
}
