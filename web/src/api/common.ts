import { graphql } from '../gql';

export const LoginOptionsQuery = graphql(`
  query LoginOptions {
    loginOptions { devLogin wechatWebAppId }
  }
`);

export const DevLoginMutation = graphql(`
  mutation DevLogin($mobile: String!, $townshipId: ID) {
    devLogin(mobile: $mobile, townshipId: $townshipId) { status accessToken expiresAt townships { id name } }
  }
`);

export const TicketLoginMutation = graphql(`
  mutation TicketLogin($ticket: String!) {
    loginWithTicket(ticket: $ticket) { status accessToken expiresAt }
  }
`);

export const WechatWebLoginMutation = graphql(`
  mutation WechatWebLogin($code: String!) {
    loginWithWechatWeb(code: $code) { status accessToken expiresAt bindingToken townships { id name } }
  }
`);

export const ChooseTownshipMutation = graphql(`
  mutation ChooseTownship($bindingToken: String!, $townshipId: ID!) {
    chooseTownship(bindingToken: $bindingToken, townshipId: $townshipId) { status accessToken expiresAt }
  }
`);

export const BindWechatWebMutation = graphql(`
  mutation BindWechatWeb($bindingToken: String!, $mobile: String!, $bindingCode: String!) {
    bindWechatWeb(bindingToken: $bindingToken, mobile: $mobile, bindingCode: $bindingCode) { status accessToken expiresAt }
  }
`);

export const MeQuery = graphql(`
  query Me {
    me {
      personId name mobile balance
      roles { role branchId townshipId }
      resident { residentId branchId branchName townshipId townshipName }
    }
  }
`);
