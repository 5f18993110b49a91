import { graphql } from '../gql';

// ---- 居民：我的家庭 ------------------------------------------------------------------

export const MyHouseholdQuery = graphql(`
  query MyHousehold {
    me { resident { residentId } }
    myHousehold {
      id headResidentId
      members { residentId name isHead balance }
      dependents { id name birthYear }
    }
  }
`);

/** A member's passbook by month (3 months, 20 lines each: within the query cost limit). */
export const MemberPassbookQuery = graphql(`
  query MemberPassbook($residentId: ID!) {
    householdMemberPassbook(residentId: $residentId, first: 3) {
      edges { node { month opening pointsIn pointsOut pointsExpired closing entries(first: 20) { edges { node { id memo amount balanceAfter bookedAt } } } } }
    }
  }
`);

export const SignUpForFamilyMutation = graphql(`
  mutation SignUpForFamily($input: FamilySignupInput!) {
    signUpForFamily(input: $input) { id status waitlistPosition dependentName }
  }
`);

export const CancelSignupForFamilyMutation = graphql(`
  mutation CancelSignupForFamily($input: FamilySignupInput!) {
    cancelSignupForFamily(input: $input) { id status }
  }
`);

export const EnrolDependentMutation = graphql(`
  mutation EnrolDependent($input: DependentCourseInput!) {
    enrolDependentInCourse(input: $input) { id status pricePoints dependentName }
  }
`);

export const CancelDependentEnrolmentMutation = graphql(`
  mutation CancelDependentEnrolment($input: DependentCourseInput!) {
    cancelDependentEnrolment(input: $input) { id status }
  }
`);

// ---- 分行行长：家庭（户）管理 ----------------------------------------------------------

export const HouseholdFragment = graphql(`
  fragment HouseholdCard on Household {
    id headResidentId
    members { residentId name isHead balance }
    dependents { id name birthYear }
  }
`);

export const BranchHouseholdsQuery = graphql(`
  query BranchHouseholds($branchId: ID!, $after: String) {
    branchHouseholds(branchId: $branchId, first: 30, after: $after) {
      edges { node { ...HouseholdCard } }
      pageInfo { endCursor hasNextPage }
    }
  }
`);

export const CreateHouseholdMutation = graphql(`
  mutation CreateHousehold($input: CreateHouseholdInput!) {
    createHousehold(input: $input) { ...HouseholdCard }
  }
`);

export const AddHouseholdMemberMutation = graphql(`
  mutation AddHouseholdMember($input: HouseholdMemberInput!) {
    addHouseholdMember(input: $input) { ...HouseholdCard }
  }
`);

export const RemoveHouseholdMemberMutation = graphql(`
  mutation RemoveHouseholdMember($input: RemoveHouseholdMemberInput!) {
    removeHouseholdMember(input: $input) { ...HouseholdCard }
  }
`);

export const AddHouseholdDependentMutation = graphql(`
  mutation AddHouseholdDependent($input: AddHouseholdDependentInput!) {
    addHouseholdDependent(input: $input) { ...HouseholdCard }
  }
`);

export const RemoveHouseholdDependentMutation = graphql(`
  mutation RemoveHouseholdDependent($dependentId: ID!) {
    removeHouseholdDependent(dependentId: $dependentId) { ...HouseholdCard }
  }
`);
