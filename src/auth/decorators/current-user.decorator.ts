import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who the verified access token speaks for: set by the global access guard. */
export interface AuthUser {
  userId: string;
  sessionId: string;
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthUser => context.switchToHttp().getRequest<{ user: AuthUser }>().user,
);
