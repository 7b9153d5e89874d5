import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { Bus } from '@patchbay/bus';
import { TaskV1 } from '@patchbay/contracts';
import { MinRole } from './auth/route-access.decorator';
import { listLimit, requireId } from './query-params';

@Controller('api/tasks')
@MinRole('viewer')
export class TasksController {
  constructor(private readonly bus: Bus) {}

  @Get()
  list(@Query('limit') limit?: string): Promise<{ tasks: TaskV1[] }> {
    return this.bus.request('query.tasks.list', { limit: listLimit(limit) });
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<TaskV1> {
    const { task } = await this.bus.request('query.tasks.get', { id: requireId(id, 'task') });
    if (!task) throw new NotFoundException(`no task ${id}`);
    return task;
  }
}
