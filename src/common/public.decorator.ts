import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'cb:isPublic';

/**
 * Opts a resolver or controller out of the global authentication requirement (login
 * mutations, health, metrics, the public statement). Read by the auth guard; here so
 * that operations code can use it without depending on the auth feature.
 */
export const Public = () => SetMetadata(IS_PUBLIC, true);
