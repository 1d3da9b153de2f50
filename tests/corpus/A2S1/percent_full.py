# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     name: python3
# ---

# %% [markdown] id="title"
# # 1. Understanding Attention
#
# - Before running the jupyter notebook, don't forget to copy it into your drive **(`File` => `Save a copy in Drive`)**. *Failing to do this step may result in losing the progress of your code.*
# - For this notebook, please fill in the line(s) directly after a `#TODO` comment with your answers.
# - For the submission of the assignment, please download this notebook as a **Python file**, named `A2S1.py`.

# %% [markdown] id="imports-heading"
# ## Imports and Setup

# %% id="pip"
# !pip install d2l
# %matplotlib inline

# %% id="imports"
import torch
import torch.nn as nn
import torch.nn.functional as F

# %% id="setup"
torch.manual_seed(447)

key = torch.randn(4, 3)
key /= torch.norm(key, dim=1, keepdim=True)
key.round_(decimals=2)

value = torch.randn(4, 3)
value /= torch.norm(value, dim=1, keepdim=True)
value.round_(decimals=2)

print(f'key:\n{key}')
print(f'value:\n{value}')


# %% id="helpers"
def attention(query, key, value):
    """
    Note that we remove scaling for simplicity.
    """
    return F.scaled_dot_product_attention(query, key, value, scale=1)


def check_query(query, target, key=key, value=value):
    """
    Helper function for you to check if your query is close to the required target matrix.
    """
    a_out = attention(query, key, value)
    print("maximum absolute element-wise difference:", (target - a_out).abs().max())


# %% [markdown] id="selection-heading"
# ## 1.2. Selection via Attention

# %% id="q1_2_1"
# Define a query vector to ”select” the first value vector

# TODO:
query121 = 1e5 * key[0].unsqueeze(0)

# compare output of attention with desired output
check_query(query121, value[0])

# %% id="q1_2_2"
# Define a query matrix which results in an identity mapping – select all the value vectors

# TODO:
query122 = 1e5 * key

# compare output of attention with desired output
check_query(query122, value)

# %% [markdown] id="averaging-heading"
# ## 1.3. Averaging via Attention

# %% id="q1_3_1"
# define a query vector which averages all the value vectors

# TODO:
query131 = 1e-2 * key.mean(0, keepdim=True)

# compare output of attention with desired output
target = torch.reshape(value.mean(0, keepdims=True), (3,))  # reshape to a vector
check_query(query131, target)

# %% id="q1_3_2"
# define a query vector which averages the first two value vectors

# TODO:
query132 = 8 * key[:2].mean(0, keepdim=True)

# compare output of attention with desired output
target = torch.reshape(value[(0, 1),].mean(0, keepdims=True), (3,))  # reshape to a vector
check_query(query132, target)

# %% [markdown] id="interactions-heading"
# ## 1.4. Interactions within Attention

# %% id="q1_4_1"
# Define a replacement for only the third key vector k[2] such that the result of attention
# with the same unchanged query q from (1.3.2) averages the first three value vectors.
m_key = key.clone()

# TODO:
m_key[2] = (key[0] + key[1]) / 2

# compare output of attention with desired output
check_query(query132, value[(0, 1, 2),].mean(0, keepdims=True), key=m_key)

# %% id="q1_4_2"
# Define a replacement for only the third key vector k[2] such that the result of attention
# with the same unchanged query q from (1.3.2) returns the third value vector v[2].
m_key = key.clone()

# TODO:
m_key[2] = query132[0]
m_key[2] /= m_key[2].norm()

# compare output of attention with desired output
check_query(query132, value[2], key=m_key)
