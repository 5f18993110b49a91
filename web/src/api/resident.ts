import { graphql } from '../gql';

export const ResidentHomeQuery = graphql(`
  query ResidentHome($townshipId: ID!, $branchId: ID!, $month: String!) {
    me { name balance resident { branchName townshipName } }
    myStarLevel { basis lifetime levelName }
    myPointsExpiry { cutoffDate daysLeft points }
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
      edges { node { id status attendance dependentId dependentName activity { id title place startsAt endsAt status } } }
    }
  }
`);

export const CheckInDependentMutation = graphql(`
  mutation CheckInDependent($input: DependentCheckInInput!) {
    checkInDependent(input: $input) { id status attendance checkedInAt dependentName activity { title rewardPoints } }
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

/**
 * The passbook by month, newest first (me.passbook), and more lines of one month. Page
 * sizes are written into the documents, not passed as variables: a variable page size is
 * priced as the largest page (100), and 100 months of 100 lines is over the query cost
 * limit; 3 months of 50 lines costs about 2,000.
 */
export const PassbookLineFragment = graphql(`
  fragment PassbookLine on PassbookEntry { id entryId kind memo amount balanceAfter bookedAt reversesEntryId reversedByEntryId }
`);

export const PassbookQuery = graphql(`
  query Passbook($after: String) {
    me {
      name balance resident { branchName townshipName }
      passbook(first: 3, after: $after) {
        edges {
          cursor
          node {
            month opening pointsIn pointsOut pointsExpired closing sealed
            seal { seal entryCount }
            entries(first: 50) { edges { node { ...PassbookLine } } pageInfo { endCursor hasNextPage } }
          }
        }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
`);

/** More lines of the month that follows the month cursor `monthAfter` (null: the newest month). */
export const PassbookMonthLinesQuery = graphql(`
  query PassbookMonthLines($monthAfter: String, $after: String) {
    me {
      passbook(first: 1, after: $monthAfter) {
        edges { node { month entries(first: 50, after: $after) { edges { node { ...PassbookLine } } pageInfo { endCursor hasNextPage } } } }
      }
    }
  }
`);

export const EntryProofQuery = graphql(`
  query EntryProof($entryId: ID!) {
    entryProof(entryId: $entryId) { entryId month canonicalEntry leafIndex leafCount path { side hash } merkleRoot previousSeal seal valid }
  }
`);

export const CheckOutMutation = graphql(`
  mutation CheckOut($input: CheckInInput!) {
    checkOut(input: $input) { id attendance checkedOutAt activity { title } }
  }
`);

export const MyHoursQuery = graphql(`
  query MyHours {
    myServiceHours { totalMinutes totalHours activityCount }
    myServiceRecords(first: 50) { edges { node { id title startsAt minutesServed hours pointsEarned } } }
    myServiceCertificates(first: 20) { edges { node { number issuedAt totalHours verifyUrl lines { title } } } }
  }
`);

export const RequestCertificateMutation = graphql(`
  mutation RequestCertificate {
    requestServiceCertificate { number issuedAt totalHours verifyUrl lines { title } }
  }
`);

export const CertificatePdfQuery = graphql(`
  query CertificatePdf($number: String!) {
    serviceCertificate(number: $number) { number pdfBase64 }
  }
`);

export const ExpiryNoticeQuery = graphql(`
  query ExpiryNotice {
    myPointsExpiry { cutoffDate daysLeft points }
  }
`);
