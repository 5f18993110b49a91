import { graphql } from '../gql';

export const BranchMonthQuery = graphql(`
  query BranchMonth($townshipId: ID!, $branchId: ID!, $month: String!) {
    branch(id: $branchId) { id name }
    publishedThemes(branchId: $branchId, month: $month) { publishedAt themes { id title suggestedPoints } }
    activities(townshipId: $townshipId, branchId: $branchId, month: $month, includePast: true, first: 100) {
      edges { node { id title startsAt status confirmedCount waitlistCount capacity rewardPoints } }
    }
    courses(townshipId: $townshipId, branchId: $branchId, month: $month, includePast: true, first: 100) {
      edges { node { id title startsAt status enrolledCount capacity pricePoints } }
    }
  }
`);

export const BranchFiguresQuery = graphql(`
  query BranchFigures($branchId: ID!, $month: String!) {
    branchFigures(branchId: $branchId, month: $month) { pointsMinted pointsSpent net activitiesHeld distinctVolunteers distinctCourseTakers }
  }
`);

export const ManagerActivitiesQuery = graphql(`
  query ManagerActivities($townshipId: ID!, $branchId: ID!, $month: String!) {
    activities(townshipId: $townshipId, branchId: $branchId, month: $month, includePast: true, first: 100) {
      edges { node { id title place startsAt endsAt status confirmedCount waitlistCount capacity rewardPoints } }
    }
  }
`);

export const ActivityFormOptionsQuery = graphql(`
  query ActivityFormOptions($branchId: ID!, $month: String!) {
    serviceTeams(branchId: $branchId) { id name }
    publishedThemes(branchId: $branchId, month: $month) { themes { id title suggestedPoints } }
  }
`);

export const CreateActivityMutation = graphql(`
  mutation CreateActivity($input: CreateActivityInput!) {
    createActivity(input: $input) { id status }
  }
`);

export const PublishActivityMutation = graphql(`
  mutation PublishActivity($id: ID!) {
    publishActivity(id: $id) { id status }
  }
`);

export const CancelActivityMutation = graphql(`
  mutation CancelActivity($input: CancelActivityInput!) {
    cancelActivity(input: $input) { id status cancelReason }
  }
`);

export const ActivityDetailQuery = graphql(`
  query ActivityDetail($id: ID!) {
    activity(id: $id) { id title place description startsAt endsAt signupDeadline capacity confirmedCount remainingPlaces waitlistCount rewardPoints status cancelReason themeId }
    activitySignups(activityId: $id, first: 100) {
      edges { node { id residentId residentName dependentId dependentName status waitlistPosition attendance checkedInAt checkedOutAt minutesServed rewardEntryId signedUpAt } }
    }
  }
`);

export const MarkDependentAttendanceMutation = graphql(`
  mutation MarkDependentAttendance($input: MarkDependentAttendanceInput!) {
    markDependentAttendance(input: $input) { id attendance }
  }
`);

export const MarkAttendanceMutation = graphql(`
  mutation MarkAttendance($input: MarkAttendanceInput!) {
    markAttendance(input: $input) { id attendance }
  }
`);

export const CompleteActivityMutation = graphql(`
  mutation CompleteActivity($id: ID!) {
    completeActivity(id: $id) { newlyRewarded attendeesRewarded pointsMinted belowMinimum minMinutes activity { id status } }
  }
`);

export const RecordCheckOutMutation = graphql(`
  mutation RecordCheckOut($input: RecordCheckOutInput!) {
    recordCheckOut(input: $input) { id checkedOutAt }
  }
`);

export const CheckinCodeQuery = graphql(`
  query CheckinCode($activityId: ID!) {
    activityCheckinCode(activityId: $activityId) { code expiresAt refreshAt }
  }
`);

export const ActivityTitleQuery = graphql(`
  query ActivityTitle($id: ID!) {
    activity(id: $id) { id title place startsAt endsAt confirmedCount }
  }
`);

export const ManagerCoursesQuery = graphql(`
  query ManagerCourses($townshipId: ID!, $branchId: ID!) {
    courses(townshipId: $townshipId, branchId: $branchId, includePast: true, first: 100) {
      edges { node { id title place startsAt status enrolledCount capacity pricePoints } }
    }
  }
`);

export const CreateCourseMutation = graphql(`
  mutation CreateCourse($input: CreateCourseInput!) {
    createCourse(input: $input) { id status }
  }
`);

export const CourseDetailQuery = graphql(`
  query CourseDetail($id: ID!) {
    course(id: $id) { id title place startsAt endsAt enrolDeadline cancelDeadline status cancelReason enrolledCount capacity pricePoints }
    courseEnrolments(courseId: $id, first: 100) {
      edges { node { id residentName dependentName status pricePoints enrolledAt } }
    }
  }
`);

export const CancelCourseMutation = graphql(`
  mutation CancelCourse($input: CancelCourseInput!) {
    cancelCourse(input: $input) { id status }
  }
`);

export const BranchResidentsQuery = graphql(`
  query BranchResidents($branchId: ID!, $text: String, $after: String) {
    branchResidents(branchId: $branchId, first: 30, after: $after, search: { text: $text }) {
      edges { node { id name mobile balance accountId registeredAt } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

export const RegisterResidentMutation = graphql(`
  mutation RegisterResident($input: RegisterResidentInput!) {
    registerResident(input: $input) { id name balance }
  }
`);

export const IssueBindingCodeMutation = graphql(`
  mutation IssueBindingCode($residentId: ID!) {
    issueBindingCode(residentId: $residentId) { code expiresAt }
  }
`);
