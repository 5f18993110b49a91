import { graphql } from '../gql';

/** 文明之星 and star levels (README, "Honours"). */
export const MonthlyStarsQuery = graphql(`
  query MonthlyStars($branchId: ID!, $month: String!) {
    monthlyStars(branchId: $branchId, month: $month) {
      branchId branchName month starsPerBranch recordedAt namesMasked
      stars { rank name points isMe residentId firstEarnedAt }
    }
  }
`);

export const MyStarLevelQuery = graphql(`
  query MyStarLevel {
    myStarLevel { basis lifetime lifetimeMinutes level levelName nextLevel nextLevelName nextThreshold toNext ladder { level name threshold } }
  }
`);

export const HonourSettingsQuery = graphql(`
  query HonourSettings($townshipId: ID!, $basis: StarBasis) {
    honourSettings(townshipId: $townshipId, basis: $basis) { townshipId starsPerBranch activeBasis basis isDefaultLadder levels { level name threshold } }
  }
`);

export const SetStarBasisMutation = graphql(`
  mutation SetStarBasis($input: SetStarBasisInput!) {
    setStarBasis(input: $input) { townshipId starsPerBranch activeBasis basis isDefaultLadder levels { level name threshold } }
  }
`);

export const SetStarLevelsMutation = graphql(`
  mutation SetStarLevels($input: SetStarLevelsInput!) {
    setStarLevels(input: $input) { townshipId starsPerBranch activeBasis basis isDefaultLadder levels { level name threshold } }
  }
`);

export const SetStarsPerBranchMutation = graphql(`
  mutation SetStarsPerBranch($input: SetStarsPerBranchInput!) {
    setStarsPerBranch(input: $input) { townshipId starsPerBranch activeBasis basis isDefaultLadder levels { level name threshold } }
  }
`);
