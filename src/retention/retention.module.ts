import { Module } from '@nestjs/common';
import { RetentionService } from './retention.service.js';

/** Deletes what the service no longer needs to keep (issue 26); the queue module runs it on schedule. */
@Module({ providers: [RetentionService], exports: [RetentionService] })
export class RetentionModule {}
