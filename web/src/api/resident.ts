import { graphql } from '../gql';

export const ResidentHomeQuery = graphql(`
  query ResidentHome($townshipId: ID!, $branchId: ID!, $month: String!) {
    me { name balance resident { branchName townshipName } }
    publishedThemes(branchId: $branchId, month: $month) { themes { id title description suggestedPoints } }
    activities(townshipId: $townshipId, branchId: $branchId, first: 30) {
      edges {
        node {
          id title place description startsAt endsAt signupDeadline capacity remainingPlaces waitlistCount rewardPoints status
          mySignup { status waitlistPosition attendance }
        }
      }
    }
  }
`);

export const SignUpMutation = graphql(`
  mutation SignUp($activityId: ID!) {
    signUpForActivity(activityId: $activityId) { id status waitlistPosition }
  }
`);

export const CancelSignupMutation = graphql(`
  mutation CancelSignup($activityId: ID!) {
    cancelSignup(activityId: $activityId) { id status }
  }
`);

export const MySignupsQuery = graphql(`
  query MySignups {
    mySignups(first: 20) {
      edges { node { id status attendance activity { id title place startsAt endsAt status } } }
    }
  }
`);

export const CheckInMutation = graphql(`
  mutation CheckIn($input: CheckInInput!) {
    checkIn(input: $input) { id status attendance checkedInAt activity { title rewardPoints } }
  }
`);

export const ResidentCoursesQuery = graphql(`
  query ResidentCourses($townshipId: ID!, $branchId: ID!) {
    me { balance }
    courses(townshipId: $townshipId, branchId: $branchId, first: 30) {
      edges {
        node {
          id title place description startsAt enrolDeadline cancelDeadline pricePoints capacity remainingSeats status
          myEnrolment { id status }
        }
      }
    }
  }
`);

export const EnrolMutation = graphql(`
  mutation Enrol($courseId: ID!) {
    enrolInCourse(courseId: $courseId) { id status pricePoints }
  }
`);

export const CancelEnrolmentMutation = graphql(`
  mutation CancelEnrolment($courseId: ID!) {
    cancelEnrolment(courseId: $courseId) { id status }
  }
`);

export const PassbookQuery = graphql(`
  query Passbook($after: String) {
    me {
      name balance resident { branchName townshipName }
      history(first: 50, after: $after) {
        edges { node { id bookedAt period amount balanceAfter memo kind } }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
`);
