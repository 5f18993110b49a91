import { ObjectType } from '@nestjs/graphql';
import { Connection } from '../../common/pagination/connection';
import { Course, CourseEnrolment } from '../course.entity';

@ObjectType()
export class CourseConnection extends Connection(Course) {}

@ObjectType()
export class CourseEnrolmentConnection extends Connection(CourseEnrolment) {}
